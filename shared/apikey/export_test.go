package apikey

// Checksum exposes the checksum to external tests.
var Checksum = checksum
