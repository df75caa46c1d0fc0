// What the service says about a failed call (AIP-193): a google.rpc.Status whose details carry
// an ErrorInfo with a stable reason, and field or precondition violations where they apply.
import { anyUnpack } from "@bufbuild/protobuf/wkt";
import { Code, ConnectError } from "@connectrpc/connect";
import {
  BadRequestSchema,
  ErrorInfoSchema,
  PreconditionFailureSchema,
} from "./gen/google/rpc/error_details_pb.js";
import type { Status } from "./gen/google/rpc/status_pb.js";
import type { DescMessage, MessageShape } from "@bufbuild/protobuf";

/** The domain of every ErrorInfo the service sends. */
export const ERROR_DOMAIN = "inventory.v1";

export interface ErrorDetails {
  code: Code;
  /** The status name, e.g. "FailedPrecondition". */
  codeName: string;
  message: string;
  /** ErrorInfo.reason, e.g. INSUFFICIENT_STOCK or ROLE_TOO_LOW; "" when none was sent. */
  reason: string;
  domain: string;
  metadata: Record<string, string>;
  /** Request field path -> what is wrong with it (BadRequest). */
  fieldViolations: Record<string, string>;
  /** What a FAILED_PRECONDITION was about (PreconditionFailure). */
  preconditionViolations: { type: string; subject: string; description: string }[];
}

/** Decodes a failed call's error (a ConnectError, or anything else as UNKNOWN). */
export function errorDetails(error: unknown): ErrorDetails {
  const connectError = ConnectError.from(error);
  return decode(connectError.code, connectError.rawMessage, (schema) =>
    connectError.findDetails(schema),
  );
}

/** Decodes a google.rpc.Status carried in a message, such as a rejected entry's ack. */
export function statusDetails(status: Status): ErrorDetails {
  return decode(status.code as Code, status.message, (schema) =>
    status.details.flatMap((any) => anyUnpack(any, schema) ?? []),
  );
}

function decode(
  code: Code,
  message: string,
  find: <S extends DescMessage>(schema: S) => MessageShape<S>[],
): ErrorDetails {
  const [info] = find(ErrorInfoSchema);
  const fieldViolations: Record<string, string> = {};
  for (const badRequest of find(BadRequestSchema)) {
    for (const violation of badRequest.fieldViolations) {
      fieldViolations[violation.field] = violation.description;
    }
  }
  return {
    code,
    codeName: Code[code] ?? `Code${code}`,
    message,
    reason: info?.reason ?? "",
    domain: info?.domain ?? "",
    metadata: { ...info?.metadata },
    fieldViolations,
    preconditionViolations: find(PreconditionFailureSchema).flatMap((failure) =>
      failure.violations.map(({ type, subject, description }) => ({ type, subject, description })),
    ),
  };
}
