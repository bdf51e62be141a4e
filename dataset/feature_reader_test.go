package dataset

import "testing"

func TestListsOf(t *testing.T) {
	cases := []struct {
		name      string
		reps      []int16
		pos, size int64
		want      bool
	}{
		{"two lists of 3", []int16{0, 1, 1, 0, 1, 1}, 0, 3, true},
		{"chunk starts mid-list", []int16{1, 0, 1, 1, 0}, 2, 3, true},
		{"list too short", []int16{0, 1, 0, 1, 1, 0}, 0, 3, false},
		{"list too long", []int16{0, 1, 1, 1, 0, 1}, 0, 3, false},
		{"size 1", []int16{0, 0, 0}, 5, 1, true},
		{"missing start", []int16{1, 1, 1}, 0, 3, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := listsOf(c.reps, c.pos, c.size); got != c.want {
				t.Errorf("listsOf(%v, %d, %d) = %v, want %v", c.reps, c.pos, c.size, got, c.want)
			}
		})
	}
}
