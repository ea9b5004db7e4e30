// Command goworkload is bench/compare's Go side: the workloads of
// bench/compare/workload.c and bench/mutex_storm.c, traced by Go's
// runtime/trace (trace.Start to a file), for bench/compare/compare.sh.
//
//	goworkload pair N TRACE      ns per trace.StartRegion+End pair (best, median)
//	goworkload log N TRACE       ns per trace.Log
//	goworkload write N TRACE     N events (N/2 region pairs)
//	goworkload storm ITERS TRACE 8 goroutines on one mutex; TRACE "-" is untraced
//
// Timings are in thread CPU time (the goroutine locked to its thread), the
// storm's in wall time; best and median of reps runs, printed as one line of key value pairs.
package main

import (
	"context"
	"fmt"
	"os"
	"runtime"
	"runtime/trace"
	"sort"
	"strconv"
	"sync"
	"syscall"
	"time"
	"unsafe"
)

// cpuNs is the calling thread's CPU time (the loops run locked to their
// thread), as workload.c times its loops: other load on the machine left out.
func cpuNs() int64 {
	const clockThreadCPUTimeID = 3
	var ts syscall.Timespec
	syscall.RawSyscall(syscall.SYS_CLOCK_GETTIME, clockThreadCPUTimeID, uintptr(unsafe.Pointer(&ts)), 0)
	return ts.Nano()
}

const reps = 7

func pairs(ctx context.Context, n uint64) float64 {
	t0 := cpuNs()
	for i := uint64(0); i < n; i++ {
		trace.StartRegion(ctx, "tight").End()
	}
	return float64(cpuNs()-t0) / float64(n)
}

func logs(ctx context.Context, n uint64) float64 {
	t0 := cpuNs()
	for i := uint64(0); i < n; i++ {
		trace.Log(ctx, "c", "short message")
	}
	return float64(cpuNs()-t0) / float64(n)
}

func timed(what string, loop func(context.Context, uint64) float64, n uint64) {
	ctx := context.Background()
	v := make([]float64, reps)
	loop(ctx, n/4+1)
	for i := range v {
		time.Sleep(50 * time.Millisecond)
		v[i] = loop(ctx, n)
	}
	sort.Float64s(v)
	fmt.Printf("tracer go what %s n %d best_ns %.2f median_ns %.2f\n", what, n, v[0], v[reps/2])
}

// storm is bench/mutex_storm.c in Go: 8 goroutines, a short critical section.
func storm(iters uint64) {
	var mu sync.Mutex
	var sum uint64
	var wg sync.WaitGroup
	t0 := time.Now()
	for g := uint64(0); g < 8; g++ {
		wg.Add(1)
		go func(seed uint64) {
			defer wg.Done()
			seed = seed*2654435761 + 1
			for i := uint64(0); i < iters; i++ {
				mu.Lock()
				for k := 0; k < 20; k++ {
					seed = seed*6364136223846793005 + 1442695040888963407
				}
				sum += seed >> 60
				mu.Unlock()
			}
		}(g)
	}
	wg.Wait()
	fmt.Printf("tracer go what storm n %d wall_ns %d sum %d\n", iters, time.Since(t0).Nanoseconds(), sum)
}

func main() {
	if len(os.Args) != 4 {
		fmt.Fprintln(os.Stderr, "usage: goworkload pair|log|write|storm N TRACE")
		os.Exit(2)
	}
	n, err := strconv.ParseUint(os.Args[2], 10, 64)
	if err != nil || n == 0 {
		fmt.Fprintf(os.Stderr, "goworkload: N %q is not a positive count\n", os.Args[2])
		os.Exit(2)
	}
	path := os.Args[3]
	if path != "-" {
		f, err := os.Create(path)
		if err != nil {
			fmt.Fprintf(os.Stderr, "goworkload: %v\n", err)
			os.Exit(2)
		}
		defer f.Close()
		if err := trace.Start(f); err != nil {
			fmt.Fprintf(os.Stderr, "goworkload: trace.Start: %v\n", err)
			os.Exit(2)
		}
		defer trace.Stop()
	}
	runtime.LockOSThread()
	switch os.Args[1] {
	case "pair":
		timed("pair", pairs, n)
	case "log":
		timed("log", logs, n)
	case "write":
		pairs(context.Background(), n/2)
	case "storm":
		storm(n)
	default:
		fmt.Fprintf(os.Stderr, "goworkload: unknown workload %q\n", os.Args[1])
		os.Exit(2)
	}
}
