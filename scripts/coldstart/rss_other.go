//go:build !linux

package main

// peakRSS is measured on Linux only (from /proc).
func peakRSS(int) int64 { return -1 }
