package download_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/lavacore/lavacore/sdk"
	"github.com/lavacore/lavacore/sdk/download"
)

// A deploy block's kernel, validated then fetched into a job's tftp directory.
func Example() {
	src := filepath.Join(os.TempDir(), "lavacore-example-Image")
	os.WriteFile(src, []byte("kernel image"), 0o644)
	defer os.Remove(src)
	tftpDir, _ := os.MkdirTemp("", "tftp-deploy-")
	defer os.RemoveAll(tftpDir)

	ctx := context.Background()
	url := "file://" + src
	// file:// URLs read only from the directories the lab allows (allowed_file_dirs).
	allowed := []string{os.TempDir()}
	size, err := download.ValidateSpec(ctx, download.Spec{URL: url, AllowedFileDirs: allowed}, nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	res, err := download.Fetch(ctx, download.Spec{Key: "kernel", URL: url, Size: size, AllowedFileDirs: allowed,
		SHA256: "31d6a6e9f1f7d2d1ea0c1b4d0b7ec7a2f4a4e15bd0fd32d76fe0a0c4bd4c6d0f"}, tftpDir, nil)
	fmt.Println(sdk.TypeOf(err), strings.ReplaceAll(err.Error(), src, "<src>"))
	res, err = download.Fetch(ctx, download.Spec{Key: "kernel", URL: url, Size: size, AllowedFileDirs: allowed}, tftpDir, nil)
	rel, _ := filepath.Rel(tftpDir, res.Path)
	fmt.Println(rel, res.Size, err)
	// Output:
	// Job sha256 for 'file://<src>' does not match. (artefact kernel: expected 31d6a6e9f1f7d2d1ea0c1b4d0b7ec7a2f4a4e15bd0fd32d76fe0a0c4bd4c6d0f, got a8438c585bb5070930b9d66b141a05ef02bb7a326620ae09fc44f2d1f4e2a9a7)
	// kernel/lavacore-example-Image 12 <nil>
}
