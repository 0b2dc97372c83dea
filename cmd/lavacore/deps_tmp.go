package main
import (
 _ "github.com/hashicorp/go-plugin"
 _ "github.com/hashicorp/hcl/v2"
 _ "github.com/hashicorp/hcl/v2/hclparse"
 _ "github.com/hashicorp/hcl/v2/gohcl"
 _ "github.com/hashicorp/hcl/v2/hcldec"
 _ "github.com/zclconf/go-cty/cty"
 _ "gopkg.in/yaml.v3"
 _ "golang.org/x/crypto/ssh"
 _ "go.bug.st/serial"
 _ "github.com/hashicorp/go-hclog"
 _ "google.golang.org/grpc"
 _ "google.golang.org/protobuf/proto"
 _ "github.com/creack/pty"
 _ "github.com/google/go-cmp/cmp"
)
func main(){}
