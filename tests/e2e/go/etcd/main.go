// Command etcd is etcd's own server entry point, built from the pinned go.etcd.io/etcd/server/v3
// module so that the end-to-end suite needs no etcd release download.
package main

import (
	"os"

	"go.etcd.io/etcd/server/v3/etcdmain"
)

func main() {
	etcdmain.Main(os.Args)
}
