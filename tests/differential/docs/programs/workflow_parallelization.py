# From LangGraph docs: workflows-agents.mdx ("Workflows and agents"), "Parallelization" (Graph
# API): three LLM calls fan out from START and an aggregator joins them. Changed: the model is
# scripted by prompt (the three calls run concurrently, so a reply script in order could not
# say which node gets which reply); the IPython display line is left out; the state is streamed
# as "updates" too, to pin the join.
from typing_extensions import TypedDict
from langgraph.graph import StateGraph, START, END

from _fake import prompted_model

llm = prompted_model(
    {
        "Write a joke about": "Why did the cat sit on the computer? To keep an eye on the mouse!",
        "Write a story about": "Once upon a time, a cat named Whiskers ruled the garden.",
        "Write a poem about": "Soft paws at dawn, a purr, a yawn.",
    }
)


# Graph state
class State(TypedDict):
    topic: str
    joke: str
    story: str
    poem: str
    combined_output: str


# Nodes
def call_llm_1(state: State):
    """First LLM call to generate initial joke"""

    msg = llm.invoke(f"Write a joke about {state['topic']}")
    return {"joke": msg.content}


def call_llm_2(state: State):
    """Second LLM call to generate story"""

    msg = llm.invoke(f"Write a story about {state['topic']}")
    return {"story": msg.content}


def call_llm_3(state: State):
    """Third LLM call to generate poem"""

    msg = llm.invoke(f"Write a poem about {state['topic']}")
    return {"poem": msg.content}


def aggregator(state: State):
    """Combine the joke and story into a single output"""

    combined = f"Here's a story, joke, and poem about {state['topic']}!\n\n"
    combined += f"STORY:\n{state['story']}\n\n"
    combined += f"JOKE:\n{state['joke']}\n\n"
    combined += f"POEM:\n{state['poem']}"
    return {"combined_output": combined}


# Build workflow
parallel_builder = StateGraph(State)

# Add nodes
parallel_builder.add_node("call_llm_1", call_llm_1)
parallel_builder.add_node("call_llm_2", call_llm_2)
parallel_builder.add_node("call_llm_3", call_llm_3)
parallel_builder.add_node("aggregator", aggregator)

# Add edges to connect nodes
parallel_builder.add_edge(START, "call_llm_1")
parallel_builder.add_edge(START, "call_llm_2")
parallel_builder.add_edge(START, "call_llm_3")
parallel_builder.add_edge("call_llm_1", "aggregator")
parallel_builder.add_edge("call_llm_2", "aggregator")
parallel_builder.add_edge("call_llm_3", "aggregator")
parallel_builder.add_edge("aggregator", END)
parallel_workflow = parallel_builder.compile()

# Invoke
state = parallel_workflow.invoke({"topic": "cats"})
print(state["combined_output"])

# The updates of one step arrive in the order their tasks finish (chance): the three
# parallel nodes are printed sorted, the join after them.
steps = [list(chunk) for chunk in parallel_workflow.stream({"topic": "cats"})]
print(sorted(steps[:3]), steps[3:])
