module ctrace/bench/compare/goworkload

go 1.19
