package pubsub

// WrapError is wrap, for the tests.
func WrapError(err error) error { return wrap(err) }
