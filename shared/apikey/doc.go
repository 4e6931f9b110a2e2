// Package apikey implements Portcullis API keys: the key format ([Key],
// [Parse], [Generate]), the keyed hash the store keeps instead of the
// secret ([Hasher]), the key record and its lifecycle ([Record], [Status]),
// the [Store] the authorizer reads, an in-memory store ([MemoryStore]), the
// in-function record cache ([Cache]) and the [Authenticator] the common
// authorizer handler calls.
//
// # Key format
//
// A key looks like
//
//	pcl_live_0H6d8uLk2QwZ_q0XcR5t8yVbN2mKf4Ja7Ls1Ab3xYz
//	└┬┘ └┬─┘ └────┬─────┘ └──────────┬──────────┘└─┬──┘
//	prefix env  key id (12)      secret (22)   checksum (6)
//
// The prefix and environment ("live" or "test") let people and secret
// scanners recognise a key (regular expression
// `pcl_(live|test)_[0-9A-Za-z]{12}_[0-9A-Za-z]{28}`); the key id is public
// and names the record; the secret is 22 base62 characters from
// crypto/rand (130 bits); the checksum is the CRC-32 (IEEE) of everything
// before it, in 6 base62 characters, so a mistyped or truncated key is
// rejected without a store read.
//
// Only HMAC-SHA256(pepper, key id and secret) is stored. Verification
// compares in constant time, and an unknown key id is compared against a
// dummy hash so it costs what a wrong secret costs.
package apikey
