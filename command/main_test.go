package command

import (
	"os"
	"testing"
)

// asToolEnv makes this test binary nginx-build itself (see buildTool).
const asToolEnv = "NGINX_BUILD_TEST_AS_TOOL"

func TestMain(m *testing.M) {
	if os.Getenv(asToolEnv) == "1" {
		os.Exit(Execute())
	}
	os.Exit(m.Run())
}
