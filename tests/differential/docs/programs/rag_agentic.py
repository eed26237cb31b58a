# From LangGraph docs: agentic-rag.mdx ("Build a custom RAG agent"): a retriever tool over a
# vector store, generate_query_or_respond (tools bound), ToolNode retrieve, grade_documents
# (structured output GradeDocuments) routing to rewrite_question or generate_answer, streamed.
# Changed: the models are scripted (the grader says "yes", as in the page's run: on "no" the
# page's loop would pretty_print the dict rewrite_question returns and fail on LangGraph too);
# the blog posts loaded from the web and split are Documents held in memory, in _fake's
# KeywordVectorStore (word overlap; no numpy here for InMemoryVectorStore's cosine);
# langchain.tools' create_retriever_tool -> langchain_core.tools' (the same function;
# langchain is not installed). A greeting is answered without retrieval.
from typing import Literal

from langchain_core.documents import Document
from langchain_core.tools import create_retriever_tool
from langgraph.graph import END, START, MessagesState, StateGraph
from langgraph.prebuilt import ToolNode, tools_condition
from pydantic import BaseModel, Field

from _fake import KeywordVectorStore as InMemoryVectorStore, call, chat_model, tool_ai

doc_splits = [
    Document(
        page_content="Reward hacking: the agent exploits flaws in the reward function.",
        metadata={"source": "https://lilianweng.github.io/posts/2024-11-28-reward-hacking/"},
    ),
    Document(
        page_content="Two types of reward hacking: environment or goal misspecification, and reward tampering.",
        metadata={"source": "https://lilianweng.github.io/posts/2024-11-28-reward-hacking/"},
    ),
    Document(
        page_content="Hallucination in LLMs is fabricated content not grounded in context.",
        metadata={"source": "https://lilianweng.github.io/posts/2024-07-07-hallucination/"},
    ),
]

vectorstore = InMemoryVectorStore.from_documents(
    documents=doc_splits, embedding=None
)
retriever = vectorstore.as_retriever(search_kwargs={"k": 2})

retriever_tool = create_retriever_tool(
    retriever,
    "retrieve_blog_posts",
    "Search and return information about Lilian Weng blog posts.",
)

response_model = chat_model(
    tool_ai(call("retrieve_blog_posts", {"query": "types of reward hacking"}, "call_1")),
    "Lilian Weng names two types: environment or goal misspecification, and reward tampering.",
    "Hello! Ask me about Lilian Weng's blog posts.",
)


def generate_query_or_respond(state: MessagesState):
    """Call the model to generate a response based on the current state. Given
    the question, it will decide to retrieve using the retriever tool, or simply respond to the user.
    """
    response = (
        response_model
        .bind_tools([retriever_tool]).invoke(state["messages"])
    )
    return {"messages": [response]}


GRADE_PROMPT = (
    "You are a grader assessing relevance of a retrieved document to a user question. \n "
    "Here is the retrieved document: \n\n {context} \n\n"
    "Here is the user question: {question} \n"
    "If the document contains keyword(s) or semantic meaning related to the user question, grade it as relevant. \n"
    "Give a binary score 'yes' or 'no' score to indicate whether the document is relevant to the question."
)


class GradeDocuments(BaseModel):
    """Grade documents using a binary score for relevance check."""

    binary_score: str = Field(
        description="Relevance score: 'yes' if relevant, or 'no' if not relevant"
    )


grader_model = chat_model('{"binary_score": "yes"}')


def grade_documents(
    state: MessagesState,
) -> Literal["generate_answer", "rewrite_question"]:
    """Determine whether the retrieved documents are relevant to the question."""
    question = state["messages"][0].content
    context = state["messages"][-1].content

    prompt = GRADE_PROMPT.format(question=question, context=context)
    response = (
        grader_model
        .with_structured_output(GradeDocuments).invoke(
            [{"role": "user", "content": prompt}]
        )
    )
    score = response.binary_score

    if score == "yes":
        return "generate_answer"
    else:
        return "rewrite_question"


REWRITE_PROMPT = (
    "Look at the input and try to reason about the underlying semantic intent / meaning.\n"
    "Here is the initial question:"
    "\n ------- \n"
    "{question}"
    "\n ------- \n"
    "Formulate an improved question:"
)


def rewrite_question(state: MessagesState):
    """Rewrite the original user question."""
    messages = state["messages"]
    question = messages[0].content
    prompt = REWRITE_PROMPT.format(question=question)
    response = response_model.invoke([{"role": "user", "content": prompt}])
    return {"messages": [{"role": "user", "content": response.content}]}


GENERATE_PROMPT = (
    "You are an assistant for question-answering tasks. "
    "Use the following pieces of retrieved context to answer the question. "
    "If you don't know the answer, just say that you don't know. "
    "Use three sentences maximum and keep the answer concise.\n"
    "Question: {question} \n"
    "Context: {context}"
)


def generate_answer(state: MessagesState):
    """Generate an answer."""
    question = state["messages"][0].content
    context = state["messages"][-1].content
    prompt = GENERATE_PROMPT.format(question=question, context=context)
    response = response_model.invoke([{"role": "user", "content": prompt}])
    return {"messages": [response]}


workflow = StateGraph(MessagesState)

# Define the nodes we will cycle between
workflow.add_node(generate_query_or_respond)
workflow.add_node("retrieve", ToolNode([retriever_tool]))
workflow.add_node(rewrite_question)
workflow.add_node(generate_answer)

workflow.add_edge(START, "generate_query_or_respond")

# Decide whether to retrieve
workflow.add_conditional_edges(
    "generate_query_or_respond",
    # Assess LLM decision (call `retriever_tool` tool or respond to the user)
    tools_condition,
    {
        # Translate the condition outputs to nodes in our graph
        "tools": "retrieve",
        END: END,
    },
)

# Edges taken after the `action` node is called.
workflow.add_conditional_edges(
    "retrieve",
    # Assess agent decision
    grade_documents,
)
workflow.add_edge("generate_answer", END)
workflow.add_edge("rewrite_question", "generate_query_or_respond")

# Compile
graph = workflow.compile()

for chunk in graph.stream(
    {
        "messages": [
            {
                "role": "user",
                "content": "What does Lilian Weng say about types of reward hacking?",
            }
        ]
    }
):
    for node, update in chunk.items():
        print("Update from node", node)
        update["messages"][-1].pretty_print()
        print("\n\n")

for chunk in graph.stream({"messages": [{"role": "user", "content": "hello!"}]}):
    for node, update in chunk.items():
        print("Update from node", node)
        update["messages"][-1].pretty_print()
