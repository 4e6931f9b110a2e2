package apigw

import (
	"bytes"
	"unicode/utf8"
)

// decodeFlat is the fast path of Decode for the commonest event, the REST
// TOKEN event: a flat JSON object whose values are all plain strings
// ({"type":"TOKEN","authorizationToken":"Bearer …","methodArn":"…"}).
// encoding/json scans such an event twice, byte by byte; this finds each
// string's end with bytes.IndexByte. It reports false, leaving the rest to
// encoding/json, for anything else: nested values, numbers, escapes,
// control characters, invalid UTF-8. What it accepts, it decodes exactly
// as encoding/json would (FuzzDecodeFlat checks that), duplicate members
// included (the last one wins).
func (ev *event) decodeFlat(data []byte) bool {
	i := skipSpace(data, 0)
	if i >= len(data) || data[i] != '{' {
		return false
	}
	i = skipSpace(data, i+1)
	if i < len(data) && data[i] == '}' {
		return skipSpace(data, i+1) == len(data)
	}
	for {
		key, next, ok := plainString(data, i)
		if !ok {
			return false
		}
		i = skipSpace(data, next)
		if i >= len(data) || data[i] != ':' {
			return false
		}
		val, next, ok := plainString(data, skipSpace(data, i+1))
		if !ok {
			return false
		}
		if !ev.setFlat(key, string(val)) {
			return false
		}
		i = skipSpace(data, next)
		if i >= len(data) {
			return false
		}
		switch data[i] {
		case ',':
			i = skipSpace(data, i+1)
		case '}':
			return skipSpace(data, i+1) == len(data)
		default:
			return false
		}
	}
}

// setFlat sets the string member key as encoding/json would: member names
// match field tags case-insensitively, and unknown members are ignored. It
// reports false for a member whose field is not a string (encoding/json
// would reject the string).
func (ev *event) setFlat(key []byte, val string) bool {
	switch {
	case bytes.EqualFold(key, []byte("type")):
		ev.Type = val
	case bytes.EqualFold(key, []byte("authorizationToken")):
		ev.AuthorizationToken = val
	case bytes.EqualFold(key, []byte("methodArn")):
		ev.MethodArn = val
	case bytes.EqualFold(key, []byte("version")):
		ev.Version = val
	case bytes.EqualFold(key, []byte("routeArn")):
		ev.RouteArn = val
	case bytes.EqualFold(key, []byte("routeKey")):
		ev.RouteKey = val
	case bytes.EqualFold(key, []byte("resource")):
		ev.Resource = val
	case bytes.EqualFold(key, []byte("httpMethod")):
		ev.HTTPMethod = val
	case bytes.EqualFold(key, []byte("identitySource")):
		ev.IdentitySource = append([]byte{'"'}, append([]byte(val), '"')...)
	case bytes.EqualFold(key, []byte("headers")), bytes.EqualFold(key, []byte("multiValueHeaders")),
		bytes.EqualFold(key, []byte("queryStringParameters")), bytes.EqualFold(key, []byte("multiValueQueryStringParameters")),
		bytes.EqualFold(key, []byte("requestContext")):
		return false
	}
	return true
}

// plainString reads a JSON string at data[i] that holds no escapes and no
// control characters and is valid UTF-8, and returns it and the index
// after its closing quote.
func plainString(data []byte, i int) ([]byte, int, bool) {
	if i >= len(data) || data[i] != '"' {
		return nil, 0, false
	}
	end := bytes.IndexByte(data[i+1:], '"')
	if end < 0 {
		return nil, 0, false
	}
	s := data[i+1 : i+1+end]
	if bytes.IndexByte(s, '\\') >= 0 || !utf8.Valid(s) {
		return nil, 0, false
	}
	for _, c := range s {
		if c < 0x20 {
			return nil, 0, false
		}
	}
	return s, i + end + 2, true
}

func skipSpace(data []byte, i int) int {
	for i < len(data) {
		switch data[i] {
		case ' ', '\t', '\n', '\r':
			i++
		default:
			return i
		}
	}
	return i
}
