// Package suggest finds the known word closest to a mistyped one, for
// "did you mean" hints.
package suggest

import (
	"sort"
	"strings"
)

// maxDistance is the largest edit distance still worth suggesting: a
// typo or a transposition, not a different word.
const maxDistance = 2

// Closest returns the candidate nearest to word (case-insensitively),
// or "" when none is within a typo or two. Ties go to the first in
// sorted order, so the hint does not depend on the candidates' order.
func Closest(word string, candidates []string) string {
	sorted := append([]string(nil), candidates...)
	sort.Strings(sorted)
	word = strings.ToLower(word)
	best, bestDist := "", maxDistance+1
	for _, c := range sorted {
		if d := Distance(word, strings.ToLower(c)); d < bestDist {
			best, bestDist = c, d
		}
	}
	return best
}

// Distance is Levenshtein's edit distance between two short strings.
func Distance(a, b string) int {
	prev := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur := make([]int, len(b)+1)
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev = cur
	}
	return prev[len(b)]
}
