package inventoryclient_test

import (
	"testing"

	"example.com/inventory/internal/liveserver"
)

var server *liveserver.Server

func TestMain(m *testing.M) {
	liveserver.RunTests(m, func(started *liveserver.Server) { server = started })
}

func token(subject, role string) string { return liveserver.Token(subject, role) }
