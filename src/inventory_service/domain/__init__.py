"""The domain: values and rules as pure Python (no database, no gRPC), tested in milliseconds."""
