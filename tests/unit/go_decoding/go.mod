module github.com/azure-keyvault-provider-deno/tests/unit/go_decoding

go 1.26
