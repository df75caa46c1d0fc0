// Package liveserver starts the real inventory service for tests: `inventory-service serve`
// on a free port with a fresh SQLite file and a test JWT secret.
package liveserver

import (
	"bufio"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

const jwtSecret = "go-client-tests-secret-0123456789abcdef"

// Server is a running inventory-service process.
type Server struct {
	cmd     *exec.Cmd
	dir     string
	Address string
	mu      sync.Mutex
	log     []string
}

// serverCommand is INVENTORY_SERVER (`make test-go` sets it), else inventory-service on PATH.
func serverCommand() string {
	if path := os.Getenv("INVENTORY_SERVER"); path != "" {
		return path
	}
	return "inventory-service"
}

// Start starts a server and waits until it serves.
func Start() (*Server, error) {
	dir, err := os.MkdirTemp("", "inventory-go-client-")
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(serverCommand(), "serve", "--listen", "127.0.0.1:0")
	env := []string{}
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "INVENTORY_") {
			env = append(env, kv)
		}
	}
	cmd.Env = append(env,
		"INVENTORY_JWT_SECRET="+jwtSecret,
		"INVENTORY_DATABASE_URL=sqlite:///"+filepath.Join(dir, "inventory.db"),
	)
	stderr, err := cmd.StderrPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		os.RemoveAll(dir)
		return nil, fmt.Errorf("cannot start the server %s (set INVENTORY_SERVER): %w", cmd.Path, err)
	}
	server := &Server{cmd: cmd, dir: dir}
	port := make(chan int, 1)
	go server.readLog(stderr, port)
	select {
	case p, ok := <-port:
		if ok {
			server.Address = fmt.Sprintf("127.0.0.1:%d", p)
			return server, nil
		}
	case <-time.After(90 * time.Second):
	}
	server.Stop()
	return nil, fmt.Errorf("the server did not start:\n%s", server.Log())
}

// readLog keeps reading the server's JSON log lines (a full pipe would stall the server) and
// reports the port from its "serving" line.
func (s *Server) readLog(stderr io.Reader, port chan<- int) {
	scanner := bufio.NewScanner(stderr)
	scanner.Buffer(make([]byte, 1<<20), 1<<20)
	reported := false
	for scanner.Scan() {
		line := scanner.Text()
		s.mu.Lock()
		s.log = append(s.log, line)
		s.mu.Unlock()
		var record struct {
			Message string `json:"message"`
			Port    int    `json:"port"`
		}
		if !reported && json.Unmarshal([]byte(line), &record) == nil && record.Message == "serving" {
			port <- record.Port
			reported = true
		}
	}
	if !reported {
		close(port)
	}
}

// Log is what the server has logged so far.
func (s *Server) Log() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return strings.Join(s.log, "\n")
}

// Stop ends the server gently (SIGTERM drains it), then for sure.
func (s *Server) Stop() {
	done := make(chan struct{})
	go func() { s.cmd.Wait(); close(done) }()
	s.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		s.cmd.Process.Kill()
		<-done
	}
	os.RemoveAll(s.dir)
}

// RunTests is a test package's TestMain: it starts a server, hands it to use, runs the
// package's tests, stops the server and exits with the tests' status.
func RunTests(m *testing.M, use func(*Server)) {
	server, err := Start()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	use(server)
	code := m.Run()
	server.Stop()
	os.Exit(code)
}

// Token mints an HS256 JWT for the server's test secret, valid for an hour.
func Token(subject, role string) string {
	encode := base64.RawURLEncoding.EncodeToString
	header := encode([]byte(`{"alg":"HS256","typ":"JWT"}`))
	now := time.Now().Unix()
	claims, _ := json.Marshal(map[string]interface{}{
		"sub": subject, "role": role, "iat": now, "exp": now + 3600,
	})
	signing := header + "." + encode(claims)
	mac := hmac.New(sha256.New, []byte(jwtSecret))
	mac.Write([]byte(signing))
	return signing + "." + encode(mac.Sum(nil))
}
