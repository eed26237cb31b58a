# From LangGraph docs: workflows-agents.mdx ("Workflows and agents"), "Orchestrator-worker"
# (Graph API): a planner with structured output (pydantic Sections) writes a list of Section
# models into state; Send starts one llm_call worker per section; a synthesizer joins them.
# Changed: the model is scripted by prompt (the workers run concurrently); langchain.messages ->
# langchain_core.messages (langchain is not installed); Markdown(...) display -> print; the
# state's sections are printed too (pydantic values read back from state).
from typing import Annotated, List
import operator

from pydantic import BaseModel, Field
from typing_extensions import TypedDict
from langchain_core.messages import HumanMessage, SystemMessage
from langgraph.graph import StateGraph, START, END

from _fake import prompted_model

llm = prompted_model(
    {
        "Here is the report topic": '{"sections": ['
        '{"name": "Introduction", "description": "What scaling laws are."}, '
        '{"name": "Compute", "description": "Loss against training compute."}, '
        '{"name": "Data", "description": "Tokens per parameter."}]}',
        "section name: Introduction": "## Introduction\nScaling laws relate loss to scale.",
        "section name: Compute": "## Compute\nLoss falls as a power law in compute.",
        "section name: Data": "## Data\nAbout twenty tokens per parameter.",
    }
)


# Schema for structured output to use in planning
class Section(BaseModel):
    name: str = Field(
        description="Name for this section of the report.",
    )
    description: str = Field(
        description="Brief overview of the main topics and concepts to be covered in this section.",
    )


class Sections(BaseModel):
    sections: List[Section] = Field(
        description="Sections of the report.",
    )


# Augment the LLM with schema for structured output
planner = llm.with_structured_output(Sections)


# Graph state
class State(TypedDict):
    topic: str
    sections: list[Section]
    completed_sections: Annotated[list, operator.add]
    final_report: str


# Worker state
class WorkerState(TypedDict):
    section: Section
    completed_sections: Annotated[list, operator.add]


# Nodes
def orchestrator(state: State):
    """Orchestrator that generates a plan for the report"""

    report_sections = planner.invoke(
        [
            SystemMessage(content="Generate a plan for the report."),
            HumanMessage(content=f"Here is the report topic: {state['topic']}"),
        ]
    )

    return {"sections": report_sections.sections}


def llm_call(state: WorkerState):
    """Worker writes a section of the report"""

    section = state["section"]
    result = llm.invoke(
        [
            SystemMessage(content="Write a report section."),
            HumanMessage(
                content=f"Here is the section name: {section.name} and description: {section.description}"
            ),
        ]
    )

    return {"completed_sections": [result.content]}


def synthesizer(state: State):
    """Synthesize full report from sections"""

    completed_sections = state["completed_sections"]
    final_report = "\n\n---\n\n".join(completed_sections)
    return {"final_report": final_report}


# Conditional edge function to create llm_call workers
def assign_workers(state: State):
    """Assign a worker to each section in the plan"""
    return [Send("llm_call", {"section": s}) for s in state["sections"]]


# Build workflow
from langgraph.types import Send

orchestrator_worker_builder = StateGraph(State)

# Add nodes
orchestrator_worker_builder.add_node("orchestrator", orchestrator)
orchestrator_worker_builder.add_node("llm_call", llm_call)
orchestrator_worker_builder.add_node("synthesizer", synthesizer)

# Add edges
orchestrator_worker_builder.add_edge(START, "orchestrator")
orchestrator_worker_builder.add_conditional_edges(
    "orchestrator", assign_workers, ["llm_call"]
)
orchestrator_worker_builder.add_edge("llm_call", "synthesizer")
orchestrator_worker_builder.add_edge("synthesizer", END)

# Compile
orchestrator_worker = orchestrator_worker_builder.compile()

# Invoke
state = orchestrator_worker.invoke({"topic": "Create a report on LLM scaling laws"})
print(state["final_report"])
print(repr(state["sections"]))
