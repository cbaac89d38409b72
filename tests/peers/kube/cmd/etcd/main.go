// Command etcd is the etcd server, built from the published
// go.etcd.io/etcd/server/v3 module (the upstream main package lives in the
// root module go.etcd.io/etcd/v3, which cannot be used as a dependency).
package main

import (
	"os"

	"go.etcd.io/etcd/server/v3/etcdmain"
)

func main() {
	etcdmain.Main(os.Args)
}
