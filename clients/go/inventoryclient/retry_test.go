package inventoryclient

import (
	"context"
	"testing"

	inventoryv1 "example.com/inventory/gen/inventory/v1"
	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

func TestOnlyConnectionLevelFailuresAreRetried(t *testing.T) {
	fromServer := func(code codes.Code) error {
		st, err := status.New(code, "from the server").WithDetails(
			&errdetails.ErrorInfo{Reason: "SOME_REASON", Domain: ErrorDomain})
		if err != nil {
			t.Fatal(err)
		}
		return st.Err()
	}
	for _, c := range []struct {
		err  error
		want bool
	}{
		{status.Error(codes.Unavailable, "connection refused"), true},
		{status.Error(codes.Internal, "stream terminated by RST_STREAM"), true},
		{status.Error(codes.Unknown, "transport"), true},
		{fromServer(codes.Unavailable), true}, // DATABASE_UNAVAILABLE
		{fromServer(codes.Internal), false},   // the server's own: a bug
		{fromServer(codes.ResourceExhausted), false},
		{status.Error(codes.DeadlineExceeded, "late"), false},
		{nil, false},
	} {
		if got := IsConnectionFailure(c.err); got != c.want {
			t.Errorf("IsConnectionFailure(%v) = %v, want %v", c.err, got, c.want)
		}
	}
}

// An invoker that fails the first calls with a transport INTERNAL, then answers.
type flakyInvoker struct {
	failures   int
	requestIDs []string
}

func (f *flakyInvoker) invoke(_ context.Context, _ string, req, _ interface{},
	_ *grpc.ClientConn, _ ...grpc.CallOption) error {
	if r, ok := req.(*inventoryv1.RecordStockMovementsRequest); ok {
		f.requestIDs = append(f.requestIDs, r.GetRequestId())
	}
	if f.failures > 0 {
		f.failures--
		return status.Error(codes.Internal, "stream terminated by RST_STREAM with error code: INTERNAL_ERROR")
	}
	return nil
}

func TestSafeCallsAreRetriedWithOneRequestID(t *testing.T) {
	retry := retrySafeCalls(MaxAttempts)
	write := &flakyInvoker{failures: 2}
	request := &inventoryv1.RecordStockMovementsRequest{}
	err := retry(context.Background(), "/inventory.v1.CatalogService/RecordStockMovements",
		request, &inventoryv1.RecordStockMovementsResponse{}, nil, write.invoke)
	if err != nil {
		t.Fatalf("the write failed: %v", err)
	}
	if len(write.requestIDs) != 3 || write.requestIDs[0] == "" ||
		write.requestIDs[0] != write.requestIDs[2] {
		t.Errorf("attempts sent request ids %q; want three of one fresh id", write.requestIDs)
	}

	read := &flakyInvoker{failures: 1}
	err = retry(context.Background(), "/inventory.v1.CatalogService/GetProduct",
		&inventoryv1.GetProductRequest{}, &inventoryv1.GetProductResponse{}, nil, read.invoke)
	if err != nil {
		t.Errorf("the read failed: %v", err)
	}

	once := &flakyInvoker{failures: 1}
	err = retry(context.Background(), "/inventory.v1.StockAdjustmentService/ApproveStockAdjustment",
		&inventoryv1.ApproveStockAdjustmentRequest{}, &inventoryv1.ApproveStockAdjustmentResponse{},
		nil, once.invoke)
	if status.Code(err) != codes.Internal {
		t.Errorf("a write without a request_id was retried: %v", err)
	}
}
