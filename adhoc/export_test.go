package adhoc

import "time"

// SetClock replaces the clock of c, for tests of session expiry; call it
// before c serves a request.
func SetClock(c *Commands, now func() time.Time) { c.now = now }
