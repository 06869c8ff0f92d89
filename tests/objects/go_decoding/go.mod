module github.com/azure-keyvault-provider-deno/tests/objects/go_decoding

go 1.26
