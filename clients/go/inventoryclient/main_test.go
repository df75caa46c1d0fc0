package inventoryclient_test

import (
	"fmt"
	"os"
	"testing"

	"example.com/inventory/internal/liveserver"
)

var server *liveserver.Server

func TestMain(m *testing.M) {
	var err error
	server, err = liveserver.Start()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	code := m.Run()
	server.Stop()
	os.Exit(code)
}

func token(subject, role string) string { return liveserver.Token(subject, role) }
