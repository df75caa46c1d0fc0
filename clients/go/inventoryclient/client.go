// Package inventoryclient connects to the inventory service: the generated stubs of the four
// services behind one connection that sends a bearer token on every call, gives calls without a
// deadline a default one and retries the calls safe to repeat after a connection failure.
package inventoryclient

import (
	"context"
	"crypto/tls"
	"os"
	"strings"
	"time"

	inventoryv1 "example.com/inventory/gen/inventory/v1"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/keepalive"
)

const (
	// DefaultAddress is where `make run` serves.
	DefaultAddress = "127.0.0.1:50051"
	// DefaultTimeout bounds unary calls made without a deadline of their own.
	DefaultTimeout = 10 * time.Second
)

// Options say where the service is and who is calling.
type Options struct {
	Address string        // host:port
	Token   string        // a JWT, sent as "authorization: Bearer <token>"; empty sends none
	Timeout time.Duration // deadline of unary calls whose context has none; 0 means DefaultTimeout
	TLS     *tls.Config   // nil dials in plaintext
	// NoRetry sends every call once; otherwise unary calls safe to repeat are retried after a
	// connection-level failure (retry.go), within their deadline.
	NoRetry bool
}

// OptionsFromEnv reads INVENTORY_ADDRESS (default DefaultAddress) and INVENTORY_TOKEN.
func OptionsFromEnv() Options {
	address := strings.TrimSpace(os.Getenv("INVENTORY_ADDRESS"))
	if address == "" {
		address = DefaultAddress
	}
	return Options{Address: address, Token: strings.TrimSpace(os.Getenv("INVENTORY_TOKEN"))}
}

// Client holds one connection and a stub per service.
type Client struct {
	Conn        *grpc.ClientConn
	Catalog     inventoryv1.CatalogServiceClient
	Counts      inventoryv1.InventoryCountServiceClient
	Adjustments inventoryv1.StockAdjustmentServiceClient
	Sites       inventoryv1.SiteServiceClient
}

// Dial connects lazily: the first call opens the connection.
func Dial(options Options) (*Client, error) {
	timeout := options.Timeout
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	attempts := MaxAttempts
	if options.NoRetry {
		attempts = 1
	}
	dialOptions := []grpc.DialOption{
		// The deadline first, so every attempt of a call shares it.
		grpc.WithChainUnaryInterceptor(defaultDeadline(timeout), retrySafeCalls(attempts)),
		// Scanners hold streams open for hours: pings find a dead connection. The server
		// closes connections that ping more often than every 10 s.
		grpc.WithKeepaliveParams(keepalive.ClientParameters{
			Time:                30 * time.Second,
			Timeout:             10 * time.Second,
			PermitWithoutStream: true,
		}),
	}
	if options.TLS != nil {
		dialOptions = append(dialOptions, grpc.WithTransportCredentials(credentials.NewTLS(options.TLS)))
	} else {
		dialOptions = append(dialOptions, grpc.WithInsecure())
	}
	if options.Token != "" {
		dialOptions = append(dialOptions, grpc.WithPerRPCCredentials(
			bearerToken{token: options.Token, requireTLS: options.TLS != nil}))
	}
	conn, err := grpc.Dial(options.Address, dialOptions...)
	if err != nil {
		return nil, err
	}
	return &Client{
		Conn:        conn,
		Catalog:     inventoryv1.NewCatalogServiceClient(conn),
		Counts:      inventoryv1.NewInventoryCountServiceClient(conn),
		Adjustments: inventoryv1.NewStockAdjustmentServiceClient(conn),
		Sites:       inventoryv1.NewSiteServiceClient(conn),
	}, nil
}

// Close closes the connection.
func (c *Client) Close() error { return c.Conn.Close() }

type bearerToken struct {
	token      string
	requireTLS bool
}

func (b bearerToken) GetRequestMetadata(context.Context, ...string) (map[string]string, error) {
	return map[string]string{"authorization": "Bearer " + b.token}, nil
}

func (b bearerToken) RequireTransportSecurity() bool { return b.requireTLS }

// defaultDeadline gives unary calls without a deadline one; streams set their own.
func defaultDeadline(timeout time.Duration) grpc.UnaryClientInterceptor {
	return func(ctx context.Context, method string, req, reply interface{},
		cc *grpc.ClientConn, invoker grpc.UnaryInvoker, opts ...grpc.CallOption) error {
		if _, ok := ctx.Deadline(); !ok {
			var cancel context.CancelFunc
			ctx, cancel = context.WithTimeout(ctx, timeout)
			defer cancel()
		}
		return invoker(ctx, method, req, reply, cc, opts...)
	}
}
