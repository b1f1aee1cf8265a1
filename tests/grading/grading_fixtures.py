"""Two interview rubrics (the lesson's P99 question and a debugging question) and answers of known quality."""

from quizsite.questions.corpus import rubric_specs

# The lesson's own "What is P99?" question, as the content files and the loader build it.
P99 = rubric_specs()["what-is-p99"]

# "Latency is high: how do you find out why, and what do you do?" in the strict format, kept here so the
# engine's tests do not move when the content's rubric is edited.
DEBUG = {
    "type": "rubric",
    "prompt": "Your model API's latency is high under load. How do you find out why, and what do you do about it?",
    "model_answer": (
        "First check CPU and memory saturation on the instances. Then check I/O waits: slow database "
        "queries, S3 or other network calls. Profile under load and read a flame graph to find where the time "
        "goes. If it is CPU-bound, add replicas or optimise the model, for example with ONNX. If it is "
        "I/O-bound, use async I/O and caching."
    ),
    "concepts": [
        {
            "id": "resources",
            "label": "Check CPU and memory saturation",
            "claims": [
                "(check|look at|watch) ... (cpu|memory|processor|ram) (usage|utilization|saturation|load|pressure)?",
                "(cpu|memory|processor|ram) (usage|utilization|saturation|load|pressure)",
                "(cpu|memory|boxes|instances|machines) (is|are)? (saturated|maxed out|swapping|pegged)",
                "(out of|running out of) memory",
            ],
            "feedback": "Start with the resources: is CPU or memory saturated on the instances?",
        },
        {
            "id": "io",
            "label": "Check I/O waits: database, S3, network",
            "claims": [
                "(io|disk|network) (wait|waits|waiting|latency|calls)",
                "(waiting|wait|waits|stuck|blocked|block) on ... (io|database|s3|network|downstream|postgres|api|apis)",
                "(slow|database) (queries|query|calls)",
                "(s3|network|downstream|third party|external) (calls|services|apis|api)",
                "(database|db) (is)? (slow|latency)",
                "(check|look at) ... (database|s3|network|downstream)",
            ],
            "feedback": "Check whether requests wait on I/O: the database, S3 or other network calls.",
        },
        {
            "id": "profile",
            "label": "Profile the code under load (flame graph)",
            "gate": True,
            "follow_up": "How would you find out where the time actually goes inside the service?",
            "claims": [
                "(profile|profiling|profiler|py spy|py-spy|cprofile) ... (service|code|load|flame graph|flamegraph|hot)",
                "(run|running|add|attach) (a)? (profiler|py-spy|py spy|cprofile)",
                "(read|look at|use) (a|the)? (flame graph|flamegraph)",
                "(flame graph|flamegraph) ... (hot path|hot spots|where|time)",
                "(find|see|shows|show|spot) ... (hot path|hot spots|time is spent|time spent|time goes)",
                "(distributed)? tracing ... (hot path|spans|slow)",
            ],
            "feedback": "Profile under load and read a flame graph to see where the time goes.",
        },
        {
            "id": "cpu-fix",
            "label": "If CPU-bound: more replicas or an optimised model (ONNX)",
            "claims": [
                "(add|more|adding) (replicas|instances|pods|workers)",
                "(scale|scaling) (out|horizontally)",
                "horizontal scaling",
                "(optimise|optimize|quantize|quantise|distill|compile|export) (the)? model",
                "(onnx|tensorrt|smaller model|optimized model|optimised model) ... (model|runtime|cpu|inference)",
                "(model|convert|export) ... (onnx|tensorrt)",
            ],
            "feedback": "For a CPU bottleneck, scale out with replicas or make inference cheaper (ONNX, quantisation).",
        },
        {
            "id": "io-fix",
            "label": "If I/O-bound: async and caching",
            "claims": [
                "(async|asyncio|non blocking|nonblocking) (io|calls|handlers|requests|client)",
                "(add|put|adding) ... (cache|caching|redis|memcached)",
                "(cache|caching) ... (slow calls|results|responses|in front|calls)",
                "(switch|move|moving|switching|convert) ... (async|asyncio)",
            ],
            "feedback": "For an I/O bottleneck, stop blocking while waiting (async) and avoid the calls (caching).",
        },
    ],
    "misconceptions": [
        {
            "id": "hardware-first",
            "label": "Adds hardware before measuring",
            "claims": [
                "just (add|adding|buy|throw) (more)? (servers|hardware|machines|bigger)",
                "(throw|add) (more)? hardware (at it)?",
                "(buy|get) (a)? bigger (server|machine|box)",
            ],
            "correction": "Measure first: more hardware does not fix an I/O wait or a lock.",
        },
        {
            "id": "async-for-cpu",
            "label": "Async does not speed up CPU-bound work",
            "claims": ["(cpu bound|cpu-bound|compute heavy) ... (use|make|switch to|add) (async|asyncio)"],
            "correction": "Async helps only while waiting on I/O; CPU-bound work needs more cores (replicas, processes) or less work per request.",
        },
        {
            "id": "cache-for-cpu-only",
            "label": "Replicas do not fix an I/O wait on a shared dependency",
            "claims": ["(io bound|io-bound|waiting on the database) ... (add|more) (replicas|instances|servers)"],
            "correction": "If requests wait on a shared database, more replicas add load to it; fix the wait (async, caching, faster queries).",
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
