// What the live tests share around calls: a client acting as a user of a role, and the details
// of a call that must fail.
import assert from "node:assert/strict";
import { createInventoryClient, errorDetails, type ErrorDetails, type InventoryClient } from "../../src/index.js";
import { token } from "./server.js";

export type RoleName = "staff" | "manager" | "admin";

/** A client of the server at `address` calling as `subject` with `role`. */
export function actingAs(address: string, subject: string, role: RoleName): InventoryClient {
  return createInventoryClient({ address, token: token(subject, role) });
}

/** The details of the error `call` fails with; fails the test if it succeeds. */
export async function rejection(call: Promise<unknown>): Promise<ErrorDetails> {
  try {
    await call;
  } catch (error) {
    return errorDetails(error);
  }
  assert.fail("the call succeeded");
}
