# SPDX-License-Identifier: MIT
# Helpers shared by the bench scripts (sourced).

# median: the median of the numbers on stdin, one per line.
median() { sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

# quartiles: "Q1 Q3" of the numbers on stdin (nearest rank).
quartiles() { sort -g | awk '{ v[NR] = $1 } END { q1 = int((NR + 3) / 4); q3 = int((3 * NR + 3) / 4); print v[q1], v[q3] }'; }
