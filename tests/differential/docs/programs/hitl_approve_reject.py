# From LangGraph docs: how-tos/human_in_the_loop/add-human-in-the-loop.md, "Approve or reject"
# (extended example): interrupt() in human_approval returning Command(goto=...).
# Changed: the thread id is fixed (the page uses uuid.uuid4()).
from typing import Literal, TypedDict
import uuid

from langgraph.constants import START, END
from langgraph.graph import StateGraph
from langgraph.types import interrupt, Command
from langgraph.checkpoint.memory import InMemorySaver


# Define the shared graph state
class State(TypedDict):
    llm_output: str
    decision: str


# Simulate an LLM output node
def generate_llm_output(state: State) -> State:
    return {"llm_output": "This is the generated output."}


# Human approval node
def human_approval(state: State) -> Command[Literal["approved_path", "rejected_path"]]:
    decision = interrupt({
        "question": "Do you approve the following output?",
        "llm_output": state["llm_output"]
    })

    if decision == "approve":
        return Command(goto="approved_path", update={"decision": "approved"})
    else:
        return Command(goto="rejected_path", update={"decision": "rejected"})


# Next steps after approval
def approved_node(state: State) -> State:
    print("✅ Approved path taken.")
    return state


# Alternative path after rejection
def rejected_node(state: State) -> State:
    print("❌ Rejected path taken.")
    return state


# Build the graph
builder = StateGraph(State)
builder.add_node("generate_llm_output", generate_llm_output)
builder.add_node("human_approval", human_approval)
builder.add_node("approved_path", approved_node)
builder.add_node("rejected_path", rejected_node)

builder.set_entry_point("generate_llm_output")
builder.add_edge("generate_llm_output", "human_approval")
builder.add_edge("approved_path", END)
builder.add_edge("rejected_path", END)

checkpointer = InMemorySaver()
graph = builder.compile(checkpointer=checkpointer)

# Run until interrupt
for thread, answer in (("approve-thread", "approve"), ("reject-thread", "reject")):
    config = {"configurable": {"thread_id": thread}}
    result = graph.invoke({}, config=config)
    print(result["__interrupt__"])

    # Simulate resuming with human input
    final_result = graph.invoke(Command(resume=answer), config=config)
    print(final_result)
