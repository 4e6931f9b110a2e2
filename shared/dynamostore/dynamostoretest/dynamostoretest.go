// Package dynamostoretest starts a real DynamoDB-compatible server
// (dynalite, from scripts/node_modules) for integration tests, creates the
// Portcullis tables in it from the shared definitions, and stops it when
// the test ends. Where dynalite or node is missing, the test fails under
// `make test` and skips otherwise (package testenv).
package dynamostoretest

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/portcullis-authz/portcullis/scripts/testenv"
	"github.com/portcullis-authz/portcullis/shared/dynamostore"
)

// Server is a running dynalite.
type Server struct {
	// Endpoint is the server's URL, e.g. http://127.0.0.1:41234.
	Endpoint string
	// Client is a DynamoDB client for the server (dummy credentials).
	Client *dynamodb.Client
}

// Start starts dynalite (in memory, tables ACTIVE at once) and stops it
// when t ends.
func Start(t testing.TB) *Server {
	t.Helper()
	cli := testenv.Dynalite(t)
	node, err := exec.LookPath("node")
	if err != nil {
		testenv.Missing(t, "node not found on PATH (dynalite needs Node.js)")
	}
	var lastErr error
	for attempt := 0; attempt < 3; attempt++ {
		s, err := start(t, node, cli)
		if err == nil {
			return s
		}
		lastErr = err // most likely the free port was taken meanwhile
	}
	t.Fatalf("dynamostoretest: %v", lastErr)
	return nil
}

func start(t testing.TB, node, cli string) (*Server, error) {
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(node, cli, "--host", "127.0.0.1", "--port", strconv.Itoa(port),
		"--createTableMs", "0", "--deleteTableMs", "0", "--updateTableMs", "0")
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start dynalite: %w", err)
	}
	var once sync.Once
	stop := func() {
		once.Do(func() {
			_ = cmd.Process.Kill()
			_ = cmd.Wait()
		})
	}
	ready := make(chan error, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			if strings.Contains(sc.Text(), "listening at") {
				ready <- nil
				for sc.Scan() { // drain
				}
				return
			}
		}
		ready <- fmt.Errorf("dynalite exited before listening: %s", stderr.String())
	}()
	select {
	case err := <-ready:
		if err != nil {
			stop()
			return nil, err
		}
	case <-time.After(30 * time.Second):
		stop()
		return nil, fmt.Errorf("dynalite did not start within 30s: %s", stderr.String())
	}
	t.Cleanup(stop)
	endpoint := "http://127.0.0.1:" + strconv.Itoa(port)
	s := &Server{Endpoint: endpoint, Client: NewClient(endpoint)}
	// Wait until it answers requests.
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for {
		_, err := s.Client.ListTables(ctx, &dynamodb.ListTablesInput{})
		if err == nil {
			return s, nil
		}
		if ctx.Err() != nil {
			return nil, fmt.Errorf("dynalite on %s does not answer: %w", endpoint, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// NewClient returns a DynamoDB client for a local endpoint, with dummy
// static credentials and no retries of throttling.
func NewClient(endpoint string) *dynamodb.Client {
	return dynamodb.New(dynamodb.Options{
		Region:       "us-east-1",
		BaseEndpoint: aws.String(endpoint),
		Credentials:  credentials.NewStaticCredentialsProvider("local", "local", ""),
	})
}

// CreateTable creates table tbl under a fresh unique physical name and
// returns the name. The table is deleted when t ends.
func (s *Server) CreateTable(t testing.TB, tbl dynamostore.Table) string {
	t.Helper()
	var b [4]byte
	_, _ = rand.Read(b[:])
	name := tbl.Name + "-" + hex.EncodeToString(b[:])
	ctx := context.Background()
	if _, err := s.Client.CreateTable(ctx, tbl.CreateTableInput(name)); err != nil {
		t.Fatalf("dynamostoretest: create table %s: %v", name, err)
	}
	w := dynamodb.NewTableExistsWaiter(s.Client, func(o *dynamodb.TableExistsWaiterOptions) {
		o.MinDelay, o.MaxDelay = 10*time.Millisecond, 100*time.Millisecond
	})
	if err := w.Wait(ctx, &dynamodb.DescribeTableInput{TableName: aws.String(name)}, 30*time.Second); err != nil {
		t.Fatalf("dynamostoretest: table %s not active: %v", name, err)
	}
	t.Cleanup(func() {
		_, _ = s.Client.DeleteTable(context.Background(), &dynamodb.DeleteTableInput{TableName: aws.String(name)})
	})
	return name
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}
