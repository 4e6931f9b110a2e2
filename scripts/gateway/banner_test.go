package main

import (
	"regexp"
	"strconv"
	"strings"
	"testing"
)

var (
	assignRe = regexp.MustCompile(`^  ([A-Z]+)='([^']+)'$`)
	statusRe = regexp.MustCompile(`^  # (?:\.\.\. and )?(\d{3})\b`)
	curlRe   = regexp.MustCompile(`^  curl -i(?: -X ([A-Z]+))? (\S+)(?: -H (.+))?$`)
)

// bannerCommand is one curl command of the banner and the status its
// comment promises.
type bannerCommand struct {
	status        int
	method, url   string
	header, value string
	line          string
}

// parseBanner reads the banner's variables and its annotated curl commands.
func parseBanner(t *testing.T, banner string) []bannerCommand {
	t.Helper()
	vars := map[string]string{}
	var cmds []bannerCommand
	status := 0
	for _, line := range strings.Split(banner, "\n") {
		if m := assignRe.FindStringSubmatch(line); m != nil {
			vars[m[1]] = m[2]
			continue
		}
		if m := statusRe.FindStringSubmatch(line); m != nil {
			status, _ = strconv.Atoi(m[1])
			continue
		}
		m := curlRe.FindStringSubmatch(line)
		if m == nil {
			continue
		}
		c := bannerCommand{status: status, method: "GET", url: m[2], line: line}
		if m[1] != "" {
			c.method = m[1]
		}
		if h := m[3]; h != "" {
			h = strings.Trim(h, `'"`)
			name, value, _ := strings.Cut(h, ": ")
			for k, v := range vars {
				value = strings.ReplaceAll(value, "${"+k+"%?}x", v[:len(v)-1]+"x")
				value = strings.ReplaceAll(value, "$"+k, v)
			}
			c.header, c.value = name, value
		}
		if c.status == 0 {
			t.Errorf("banner command without an expected status: %s", line)
		}
		cmds = append(cmds, c)
	}
	return cmds
}

// TestBannerCommandsDoWhatTheySay runs every curl command the banner
// prints and checks the status its comment announces.
func TestBannerCommandsDoWhatTheySay(t *testing.T) {
	for _, api := range []string{"rest", "http"} {
		t.Run(api, func(t *testing.T) {
			g := start(t, nil, "--api", api)
			banner := g.stdout.String()
			if !strings.Contains(banner, "Portcullis local gateway: "+g.URL) || !strings.Contains(banner, g.URL+"/dev-idp") {
				t.Fatalf("banner does not say where the gateway and the dev IdP are:\n%s", banner)
			}
			cmds := parseBanner(t, banner)
			seen := map[int]bool{}
			for _, c := range cmds {
				var h []string
				if c.header != "" {
					h = []string{c.header, c.value}
				}
				r := do(t, c.method, c.url, h...)
				if r.status != c.status {
					t.Errorf("%s\n  got %v, the banner says %d", c.line, r, c.status)
				}
				seen[c.status] = true
			}
			want := []int{200, 401, 403}
			for _, s := range want {
				if !seen[s] {
					t.Errorf("the banner shows no %d example:\n%s", s, banner)
				}
			}
			if api == "rest" && !strings.Contains(banner, "x-api-key: pcl_test_") {
				t.Errorf("the REST banner shows no API-key example:\n%s", banner)
			}
			if len(cmds) < 6 {
				t.Errorf("only %d commands in the banner", len(cmds))
			}
		})
	}
}
