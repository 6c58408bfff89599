package ir

import (
	"sort"
	"strings"
	"unicode"
)

// initialisms are written in capitals in exported names (fetch_url → FetchURL).
var initialisms = map[string]bool{
	"api": true, "ascii": true, "cpu": true, "css": true, "csv": true, "db": true, "dns": true,
	"etl": true, "html": true, "http": true, "https": true, "id": true, "io": true, "ip": true,
	"ipc": true, "json": true, "os": true, "pid": true, "rpc": true, "sql": true, "ssh": true,
	"tcp": true, "tls": true, "ttl": true, "udp": true, "ui": true, "uid": true, "uri": true,
	"url": true, "utf8": true, "uuid": true, "xml": true,
}

// Exported turns a .mg name into an exported Go name: fetch_users → FetchUsers,
// ingest.parse_url → IngestParseURL. It is the one place names are exported.
func Exported(name string) string {
	var b strings.Builder
	for _, part := range strings.FieldsFunc(name, func(r rune) bool { return r == '_' || r == '.' || r == '-' }) {
		if initialisms[strings.ToLower(part)] {
			b.WriteString(strings.ToUpper(part))
			continue
		}
		rs := []rune(part)
		rs[0] = unicode.ToUpper(rs[0])
		b.WriteString(string(rs))
	}
	if b.Len() == 0 {
		return "X"
	}
	return b.String()
}

// flagName turns a parameter name into a flag: Count → count, MaxItems → max-items.
func flagName(name string) string {
	rs := []rune(name)
	var b strings.Builder
	for i, r := range rs {
		if unicode.IsUpper(r) {
			if i > 0 && (unicode.IsLower(rs[i-1]) || (i+1 < len(rs) && unicode.IsLower(rs[i+1]))) {
				b.WriteByte('-')
			}
			b.WriteRune(unicode.ToLower(r))
			continue
		}
		if r == '_' {
			b.WriteByte('-')
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

// didYouMean returns the candidate closest to name, or "" when none is close.
func didYouMean(name string, candidates []string) string {
	best, bestD := "", -1
	sorted := append([]string(nil), candidates...)
	sort.Strings(sorted)
	for _, c := range sorted {
		d := levenshtein(name, c)
		limit := len(name)/3 + 1
		if d <= limit && (bestD < 0 || d < bestD) {
			best, bestD = c, d
		}
	}
	return best
}

func levenshtein(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	prev := make([]int, len(rb)+1)
	cur := make([]int, len(rb)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(ra); i++ {
		cur[0] = i
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(rb)]
}
