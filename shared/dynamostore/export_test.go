package dynamostore

// EncodeRecord exposes the item encoding to external tests.
var EncodeRecord = encodeRecord
