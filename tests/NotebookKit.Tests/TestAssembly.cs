// torch's random generator and thread pool are process-wide: tests that seed and train must not
// interleave, or one test's draws would change another's numbers.
[assembly: CollectionBehavior(DisableTestParallelization = true)]
