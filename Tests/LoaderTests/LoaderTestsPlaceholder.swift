// Tests of the Loader module go in this folder; this file only keeps the target non-empty.
