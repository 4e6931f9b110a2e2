// Package jwtauth verifies bearer JWTs (compact JWS) for the issuers of a
// Portcullis policy file.
package jwtauth
