// Package dynamostore keeps Portcullis's records in Amazon DynamoDB: the
// single definition of every table's key schema ([Table], [APIKeys],
// [Tables]), helpers that turn it into SDK requests, and the DynamoDB
// implementations of the stores the validation core defines (the API-key
// store of package apikey), each over a narrow interface of only the SDK
// calls it makes.
//
// Writes that must not clobber use condition expressions: creating a key
// fails when its id exists, and status changes and rotation are
// conditional on the state they start from.
package dynamostore
