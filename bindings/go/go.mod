module github.com/mxc/mxc-go

go 1.19
