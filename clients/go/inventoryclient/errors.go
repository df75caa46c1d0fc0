package inventoryclient

import (
	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// ErrorDomain is the domain of every ErrorInfo the service sends.
const ErrorDomain = "inventory.v1"

// ErrorDetails is what the service says about a failed call (AIP-193): the status, the
// ErrorInfo's stable reason, and the field or precondition violations when it sent them.
type ErrorDetails struct {
	Code     codes.Code
	Message  string
	Reason   string            // e.g. INSUFFICIENT_STOCK, ROLE_TOO_LOW
	Metadata map[string]string // ErrorInfo metadata
	// FieldViolations maps a request field path to what is wrong with it.
	FieldViolations map[string]string
	// PreconditionViolations lists what a FAILED_PRECONDITION was about.
	PreconditionViolations []*errdetails.PreconditionFailure_Violation
}

// Details decodes the google.rpc.Status details of a failed call. An error that is not a
// gRPC status comes back as codes.Unknown with its text.
func Details(err error) ErrorDetails {
	st := status.Convert(err)
	details := ErrorDetails{Code: st.Code(), Message: st.Message()}
	for _, detail := range st.Details() {
		switch d := detail.(type) {
		case *errdetails.ErrorInfo:
			details.Reason = d.GetReason()
			details.Metadata = d.GetMetadata()
		case *errdetails.BadRequest:
			if details.FieldViolations == nil {
				details.FieldViolations = map[string]string{}
			}
			for _, violation := range d.GetFieldViolations() {
				details.FieldViolations[violation.GetField()] = violation.GetDescription()
			}
		case *errdetails.PreconditionFailure:
			details.PreconditionViolations = append(details.PreconditionViolations, d.GetViolations()...)
		}
	}
	return details
}
