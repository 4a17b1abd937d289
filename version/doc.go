// Package version implements XEP-0092: Software Version, version 1.1
// (2007-02-15): asking an entity for the name and version of its software
// and its operating system, and answering the same question about the
// client.
//
// Revealing the operating system helps attackers (§5); leave it empty in
// Register to keep it private.
package version
