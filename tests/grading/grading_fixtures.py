"""The two interview rubrics of the lesson, and answers of known quality, for tests and bench/grading.py."""

P99 = {
    "type": "rubric",
    "model_answer": (
        "P99 is the 99th percentile of latency: 99% of requests complete at or below that time and 1 request "
        "in 100 is slower. It matters more than the average because the average hides the tail: a few very "
        "slow requests barely move the mean, yet they are what users feel. And at scale 1% is a lot: with "
        "1M requests a day, 10,000 of them are slower than the P99."
    ),
    "concepts": [
        {
            "id": "percentile",
            "label": "The 99th percentile of latency",
            "phrasings": [
                "99th percentile",
                "99 percentile",
                "99th percentile of latency",
                "percentile of latency",
                "percentile of response time",
                "latency percentile",
                "latency below which 99%",
                "time below which 99%",
                "99% quantile",
                "0.99 quantile",
            ],
            "feedback": "Define it: P99 is the latency at the 99th percentile of the distribution.",
        },
        {
            "id": "one-in-hundred",
            "label": "99% of requests are at or below it; 1 in 100 is slower",
            "phrasings": [
                "1 in 100",
                "1 out of 100",
                "1 out of every 100",
                "99 out of 100",
                "1% of requests",
                "1% of calls",
                "1% of traffic",
                "slowest 1%",
                "worst 1%",
                "99% of requests",
                "99% of calls",
                "99% of response",
                "99% are faster",
                "99% finish",
                "99% complete",
                "99% fall",
                "at or below",
                "or less",
                "take longer",
                "are slower than",
                "1% are slower",
                "1% take longer",
            ],
            "feedback": "Say what it means for requests: 99% finish within it and 1 in 100 takes longer.",
        },
        {
            "id": "tail",
            "label": "The tail matters more than the average",
            "phrasings": [
                "tail latency",
                "long tail",
                "the tail",
                "average hides",
                "averages hide",
                "mean hides",
                "average masks",
                "average is misleading",
                "averages lie",
                "not the average",
                "rather than the average",
                "instead of the average",
                "more than the average",
                "outliers",
                "worst case",
                "slowest requests",
                "hides the slow",
                "average can look",
                "averages look fine",
            ],
            "feedback": "Explain why the tail matters: the average hides the slow requests users actually "
            "feel.",
        },
        {
            "id": "scale",
            "label": "At scale 1% is many users (1M users: 10,000 hit the tail)",
            "phrasings": [
                "at scale",
                "many users",
                "lot of users",
                "lots of users",
                "thousands of users",
                "10000 users",
                "10000 people",
                "10000 requests",
                "10000 of them",
                "million users",
                "million requests",
                "1% of 1 million",
                "millions of requests",
                "high traffic",
                "large scale",
                "many requests",
                "every day",
            ],
            "feedback": "Make the scale concrete: with 1M users, 1% is 10,000 people hitting the slow path.",
        },
    ],
    "misconceptions": [
        {
            "id": "p99-is-average",
            "label": "Treats P99 as an average",
            "phrasings": [
                "average of the slowest",
                "average of the top",
                "mean of the slowest",
                "average latency of 99%",
            ],
            "penalty": 0.25,
            "feedback": "P99 is a point in the distribution, not an average of anything.",
        },
        {
            "id": "p99-is-max",
            "label": "Treats P99 as the maximum",
            "phrasings": ["maximum latency", "max latency", "slowest request ever", "worst possible latency"],
            "penalty": 0.25,
            "feedback": "The maximum is P100; P99 leaves out the slowest 1%.",
        },
    ],
}

DEBUG = {
    "type": "rubric",
    "model_answer": (
        "First check CPU and memory saturation on the instances. Then check I/O waits: slow database "
        "queries, "
        "S3 or other network calls. Profile under load and read a flame graph to find where the time goes. "
        "If it is CPU-bound, add replicas or optimise the model, for example with ONNX. If it is I/O-bound, "
        "use async I/O and caching."
    ),
    "concepts": [
        {
            "id": "resources",
            "label": "Check CPU and memory saturation",
            "phrasings": [
                "cpu usage",
                "cpu utilization",
                "cpu load",
                "cpu saturation",
                "check cpu",
                "check memory",
                "memory usage",
                "memory pressure",
                "cpu and memory",
                "resource usage",
                "resource utilization",
                "saturated",
                "htop",
                "out of memory",
                "swapping",
                "maxed out",
                "100% cpu",
                "processor load",
            ],
            "feedback": "Start with the resources: is CPU or memory saturated on the instances?",
        },
        {
            "id": "io",
            "label": "Check I/O waits: database, S3, network",
            "phrasings": [
                "io wait",
                "waiting on io",
                "io bound",
                "disk io",
                "database",
                "slow queries",
                "query time",
                "s3",
                "network calls",
                "network latency",
                "downstream",
                "external api",
                "third party",
                "upstream services",
                "blocked on",
                "waiting on",
                "block on",
                "connection pool",
            ],
            "feedback": "Check whether requests wait on I/O: the database, S3 or other network calls.",
        },
        {
            "id": "profile",
            "label": "Profile the code (flame graph)",
            "phrasings": [
                "profile",
                "profiler",
                "flame graph",
                "py spy",
                "cprofile",
                "tracing",
                "distributed tracing",
                "apm",
                "opentelemetry",
                "where time is spent",
                "where the time goes",
                "hot path",
                "hot spots",
                "instrument",
            ],
            "feedback": "Profile under load and read a flame graph to see where the time goes.",
        },
        {
            "id": "cpu-fix",
            "label": "If CPU-bound: more replicas or an optimised model (ONNX)",
            "phrasings": [
                "more replicas",
                "add replicas",
                "scale out",
                "scale horizontally",
                "horizontal scaling",
                "more instances",
                "more pods",
                "more workers",
                "onnx",
                "quantize",
                "optimize the model",
                "optimized model",
                "smaller model",
                "distill",
                "tensorrt",
                "compile the model",
            ],
            "feedback": "For a CPU bottleneck, scale out with replicas or make inference cheaper (ONNX, "
            "quantisation).",
        },
        {
            "id": "io-fix",
            "label": "If I/O-bound: async and caching",
            "phrasings": [
                "async",
                "asyncio",
                "non blocking",
                "cache",
                "caching",
                "redis",
                "memcached",
                "memoize",
                "concurrent requests",
                "parallelize the calls",
                "connection pooling",
                "batch queries",
            ],
            "feedback": "For an I/O bottleneck, stop blocking while waiting (async) and avoid the calls "
            "(caching).",
        },
    ],
    "misconceptions": [
        {
            "id": "hardware-first",
            "label": "Adds hardware before measuring",
            "phrasings": [
                "just add more servers",
                "just add servers",
                "throw hardware",
                "bigger server",
                "buy bigger",
                "just scale up",
                "more hardware",
            ],
            "penalty": 0.25,
            "feedback": "Measure first: more hardware does not fix an I/O wait or a lock.",
        },
    ],
}

# Answers by quality: the tests hold the grader to these, and the bench times them.
ANSWERS = {
    "p99": {
        "strong": [
            "P99 is the 99th percentile of latency: 99% of requests complete at or below that time and 1 in "
            "100 "
            "is slower. It matters more than the average because the average hides the tail, a few very slow "
            "requests barely move the mean. At scale that 1% is a lot: with 1M requests a day, 10,000 "
            "requests "
            "hit the slow path.",
            "It's the 99th percentile response time. Sort all request latencies; the value that 99% of "
            "requests "
            "are at or below is the P99, so one request out of every hundred is slower. Teams watch it "
            "instead "
            "of the average because the mean hides outliers, and with a million users, 1% means 10,000 "
            "people "
            "having a bad time every day.",
        ],
        "paraphrased": [
            "It's the latncy below which ninety-nine percent of calls fall, so only one call in a hundred "
            "takes "
            "longer. Averages lie: the mean looks fine while the slowest requests, the tail, are what "
            "customers "
            "feel. With a million users, that's about 10k peple who get the slow experiance.",
            "P99 = the 99th percentle of response tmes. 99 out of 100 requests finish faster than that "
            "number; "
            "the remaining one is the long tail. Looking at the mean is misleading because it masks those "
            "outliers, and at big scale 1% of traffic is thousands of users.",
        ],
        "partial": [
            "P99 is the 99th percentile latency, meaning 99% of requests are faster than it.",
            "It is the slowest 1% of requests, which matters because the average hides those slow ones.",
        ],
        "vague": [
            "make it faster, use better servers",
            "It's a metric for how fast the website is.",
            "A number from the monitoring dashboard that people look at.",
        ],
        "wrong": [
            "P99 is the maximum latency, the slowest request ever recorded.",
        ],
    },
    "debug": {
        "strong": [
            "First check CPU and memory utilisation on the instances to see whether they're saturated. Then "
            "check "
            "I/O waits: slow database queries, S3 calls or other network calls. Profile the service under "
            "load "
            "and read a flame graph to find the hot path. If it's CPU-bound, add more replicas or optimise "
            "the "
            "model, e.g. convert it to ONNX. If it's I/O-bound, make the calls async and add caching.",
            "1. Look at CPU usage and memory pressure on every replica. 2. Check whether requests are "
            "waiting on "
            "the database, S3 or downstream services. 3. Profile with py-spy and read the flame graph. Then "
            "fix: "
            "CPU-bound means scale out or use an optimized model such as ONNX Runtime; I/O-bound means "
            "asyncio "
            "and a cache in front of the slow calls.",
        ],
        "paraphrased": [
            "I'd start by looking at whether the boxes are maxed out: processor load, RAM, swapping. Next, "
            "see "
            "if requests are stuck waiting on downstream stuff like Postgres, S3 or third-party APIs. Then "
            "run "
            "a profiler (py-spy, cProfile) and look at a flamegraph to see where time goes. Compute-heavy? "
            "Scale "
            "horizontally or quantize the model / export to ONNX. Waiting on I/O? Switch to asyncio and put "
            "a "
            "Redis cahce in front.",
            "When latncy spikes I would look at utilization of cpu and memory first, then check if we block "
            "on "
            "the db or network. Profilling with a flame graph shows the hot spots. For compute bound work "
            "add "
            "more instances or optimize the model with onnx; for io bound work use async handlers and a "
            "cahce.",
        ],
        "partial": [
            "I would check the CPU usage and profile the code to see what is slow.",
            "Probably the database is slow, so I'd add caching with Redis.",
        ],
        "vague": [
            "make it faster, use better servers",
            "Restart it and hope for the best.",
            "Look into it and fix whatever is wrong with the code.",
        ],
        "negated": [
            "Don't bother profiling or digging into the database; just add more servers.",
            "There is no need to profile anything, and I would never use a cache.",
        ],
    },
}
