package tool

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// The cache of run's programs is cleaned by last use: programs not used for
// a week go, with the directories they leave empty; a program used since,
// a build under way and the files of a directory still in use stay; and the
// cache is looked at at most once a day.
func TestRunCacheCleaning(t *testing.T) {
	cache := t.TempDir()
	now := time.Now()
	week := 7 * 24 * time.Hour
	files := map[string]time.Duration{ // file: its age
		"unused/prog":          week + time.Hour,
		"used/prog":            week - time.Hour,
		"mixed/old":            2 * week,
		"mixed/new":            time.Minute,
		".build-crashed/prog":  3 * week,
		"stray":                2 * week,
		".build-running/.keep": 0, // removed below: an empty directory made just now
	}
	for name, age := range files {
		p := filepath.Join(cache, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte("x"), 0o755); err != nil {
			t.Fatal(err)
		}
		at := now.Add(-age)
		if err := os.Chtimes(p, at, at); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Remove(filepath.Join(cache, ".build-running/.keep")); err != nil {
		t.Fatal(err)
	}
	for _, d := range []string{"unused", "mixed", ".build-crashed"} {
		at := now.Add(-2 * week)
		if err := os.Chtimes(filepath.Join(cache, d), at, at); err != nil {
			t.Fatal(err)
		}
	}
	// Looked at an hour ago: nothing is removed.
	stamp := filepath.Join(cache, runCacheStamp)
	if err := os.WriteFile(stamp, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	hourAgo := now.Add(-time.Hour)
	if err := os.Chtimes(stamp, hourAgo, hourAgo); err != nil {
		t.Fatal(err)
	}
	cleanRunCache(cache, now)
	if got := listCache(t, cache); got != ".build-crashed/prog .build-running/ .cleaned mixed/new mixed/old stray unused/prog used/prog" {
		t.Errorf("cleaned within a day of the last look: %s", got)
	}
	// A day later it is cleaned.
	dayAgo := now.Add(-25 * time.Hour)
	if err := os.Chtimes(stamp, dayAgo, dayAgo); err != nil {
		t.Fatal(err)
	}
	cleanRunCache(cache, now)
	if got := listCache(t, cache); got != ".build-running/ .cleaned mixed/new used/prog" {
		t.Errorf("after cleaning: %s", got)
	}
	if st, err := os.Stat(stamp); err != nil || st.ModTime().Before(now.Add(-time.Second)) {
		t.Errorf("the look is not recorded: %v", err)
	}
}

// listCache lists the files of a cache, and its empty directories with a slash.
func listCache(t *testing.T, cache string) string {
	t.Helper()
	var out []string
	filepath.WalkDir(cache, func(p string, d os.DirEntry, err error) error {
		if err != nil || p == cache {
			return err
		}
		rel, _ := filepath.Rel(cache, p)
		if d.IsDir() {
			if entries, _ := os.ReadDir(p); len(entries) == 0 {
				out = append(out, filepath.ToSlash(rel)+"/")
			}
			return nil
		}
		out = append(out, filepath.ToSlash(rel))
		return nil
	})
	return strings.Join(out, " ")
}

const waitSrc = `package main

import (
	"os"
	"time"
)

pipeline Wait {
	param Dir string
	producer gen() int {
		os.WriteFile(p.Dir+"/started", nil, 0o644)
		for {
			if _, err := os.Stat(p.Dir + "/release"); err == nil {
				break
			}
			time.Sleep(10 * time.Millisecond)
		}
		emit(1)
	}
	consumer sink(n int) {}
}
`

// run keeps its program in the cache: a second run uses the same file, and
// makes it as good as new, however long it had not been used; while the
// program runs, its last use is kept fresh, so that no other run's cleaning
// removes it; unused programs are removed.
func TestRunCacheLastUse(t *testing.T) {
	if _, err := exec.LookPath("go"); err != nil {
		t.Skip("needs the go command")
	}
	dir := t.TempDir()
	t.Setenv("XDG_CACHE_HOME", filepath.Join(dir, "cache"))
	defer func(d time.Duration) { runCacheTouchEvery = d }(runCacheTouchEvery)
	runCacheTouchEvery = 20 * time.Millisecond
	if err := os.WriteFile(filepath.Join(dir, "wait.mg"), []byte(waitSrc), 0o644); err != nil {
		t.Fatal(err)
	}
	release := filepath.Join(dir, "release")
	if err := os.WriteFile(release, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if code, _, stderr := runTool(t, dir, "run", "wait.mg", "--", "-dir", dir); code != 0 {
		t.Fatalf("first run: exit %d\n%s", code, stderr)
	}
	cache := runCacheDir()
	bins, _ := filepath.Glob(filepath.Join(cache, "*", "wait"))
	if len(bins) != 1 {
		t.Fatalf("cached programs: %v", bins)
	}
	bin := bins[0]
	first, err := os.Stat(bin)
	if err != nil {
		t.Fatal(err)
	}

	// Not used for a month, the cache last looked at two days ago, another
	// program unused for a week and a day.
	month := time.Now().Add(-30 * 24 * time.Hour)
	if err := os.Chtimes(bin, month, month); err != nil {
		t.Fatal(err)
	}
	other := filepath.Join(cache, "0123456789abcdef0123", "other")
	if err := os.MkdirAll(filepath.Dir(other), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(other, nil, 0o755); err != nil {
		t.Fatal(err)
	}
	weekAndDay := time.Now().Add(-8 * 24 * time.Hour)
	if err := os.Chtimes(other, weekAndDay, weekAndDay); err != nil {
		t.Fatal(err)
	}
	twoDays := time.Now().Add(-48 * time.Hour)
	if err := os.Chtimes(filepath.Join(cache, runCacheStamp), twoDays, twoDays); err != nil {
		t.Fatal(err)
	}

	// The second run waits for release: while it runs, its program's last
	// use is set back a month, and must come back.
	for _, f := range []string{release, filepath.Join(dir, "started")} {
		if err := os.Remove(f); err != nil {
			t.Fatal(err)
		}
	}
	done := make(chan int, 1)
	var stderr string
	go func() {
		code, _, errOut := runTool(t, dir, "run", "wait.mg", "--", "-dir", dir)
		stderr = errOut
		done <- code
	}()
	deadline := time.Now().Add(2 * time.Minute)
	waitFor := func(what string, ok func() bool) {
		t.Helper()
		for !ok() {
			if time.Now().After(deadline) {
				os.WriteFile(release, nil, 0o644)
				t.Fatalf("%s: not after two minutes", what)
			}
			time.Sleep(10 * time.Millisecond)
		}
	}
	waitFor("the program starts", func() bool { return fileExists(filepath.Join(dir, "started")) })
	st, err := os.Stat(bin)
	if err != nil {
		t.Fatalf("the cached program is gone: %v", err)
	}
	if !os.SameFile(first, st) {
		t.Errorf("the cached program was built again")
	}
	if st.ModTime().Before(time.Now().Add(-time.Minute)) {
		t.Errorf("the run did not record its use: last use %v", st.ModTime())
	}
	if fileExists(other) || fileExists(filepath.Dir(other)) {
		t.Errorf("a program unused for more than a week was kept")
	}
	if err := os.Chtimes(bin, month, month); err != nil {
		t.Fatal(err)
	}
	waitFor("the running program's last use is refreshed", func() bool {
		st, err := os.Stat(bin)
		return err == nil && st.ModTime().After(time.Now().Add(-time.Minute))
	})
	if err := os.WriteFile(release, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if code := <-done; code != 0 {
		t.Fatalf("second run: exit %d\n%s", code, stderr)
	}
}
