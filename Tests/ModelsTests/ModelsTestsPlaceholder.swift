// Tests of the Models module go in this folder; this file only keeps the target non-empty.
