package multi

pipeline Child extends Base {
	param Count int = 2
}

pipeline Other {
	producer gen() int {
		s := `raw
text`; emit(undefinedAfterRaw)
		t := "é"; emit(undefinedAfterUnicode)
		_ = s + t
	}
	nested sub = Sub
	consumer sink(n int) {}
}

pipeline Sub {
	processor work(n int) int { emit(n + undefinedInSub) }
}
