package inventoryclient

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"strings"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
)

// MaxAttempts is how many times Dial's connection tries a unary call that is safe to repeat
// (the first try included); Options.NoRetry sends every call once.
const MaxAttempts = 4

// IsConnectionFailure is this client's one retry rule: UNAVAILABLE (server restarting or
// draining, database briefly down, connection refused or lost), and INTERNAL or UNKNOWN made
// by the transport (a stream reset as a worker or replica dies), which carry none of the
// server's error details. Every status the service sends itself has an ErrorInfo, and its own
// INTERNAL is a bug that a retry would repeat.
func IsConnectionFailure(err error) bool {
	st, ok := status.FromError(err)
	if !ok || err == nil {
		return false
	}
	switch st.Code() {
	case codes.Unavailable:
		return true
	case codes.Internal, codes.Unknown:
		return len(st.Proto().GetDetails()) == 0
	}
	return false
}

// requestIDField is the request_id field of a write's request, nil for other messages.
func requestIDField(message proto.Message) protoreflect.FieldDescriptor {
	if message == nil {
		return nil
	}
	field := message.ProtoReflect().Descriptor().Fields().ByName("request_id")
	if field == nil || field.Kind() != protoreflect.StringKind {
		return nil
	}
	return field
}

func newRequestID() string {
	var random [16]byte
	if _, err := rand.Read(random[:]); err != nil {
		panic(err) // the system's random source failed: nothing sensible can follow
	}
	return hex.EncodeToString(random[:])
}

// retrySafeCalls tries again, after a connection-level failure and within the call's deadline,
// the unary calls safe to repeat: reads (Get..., List...) and writes whose request has a
// request_id, filled in when empty so that the server applies a repeated write once (AIP-155).
func retrySafeCalls(maxAttempts int) grpc.UnaryClientInterceptor {
	return func(ctx context.Context, method string, req, reply interface{},
		cc *grpc.ClientConn, invoker grpc.UnaryInvoker, opts ...grpc.CallOption) error {
		name := method[strings.LastIndex(method, "/")+1:]
		message, _ := req.(proto.Message)
		field := requestIDField(message)
		if field == nil && !strings.HasPrefix(name, "Get") && !strings.HasPrefix(name, "List") {
			return invoker(ctx, method, req, reply, cc, opts...)
		}
		if field != nil && message.ProtoReflect().Get(field).String() == "" {
			message.ProtoReflect().Set(field, protoreflect.ValueOfString(newRequestID()))
		}
		delay := 100 * time.Millisecond
		for attempt := 1; ; attempt++ {
			err := invoker(ctx, method, req, reply, cc, opts...)
			if err == nil || attempt >= maxAttempts || !IsConnectionFailure(err) {
				return err
			}
			select {
			case <-time.After(delay):
			case <-ctx.Done():
				return err
			}
			if delay *= 2; delay > 2*time.Second {
				delay = 2 * time.Second
			}
		}
	}
}
