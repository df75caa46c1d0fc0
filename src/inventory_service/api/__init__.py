"""The gRPC edge: servicers, message conversion, interceptors, statuses, paging, the server."""
