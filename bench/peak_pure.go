//go:build !dnnl

package main

import "errors"

func convPeak() (result, error) {
	return result{}, errors.New("peak: build with -tags dnnl (make bench does)")
}

func onednnVersion() string { return "not linked (pure-Go build)" }
