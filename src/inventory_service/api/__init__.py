"""The gRPC edge: servicers, interceptors, conversions between messages and the domain."""
