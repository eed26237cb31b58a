# From LangChain docs: tutorials/rag ("Build a Retrieval Augmented Generation (RAG) App", the
# LangGraph orchestration part): State holds the question, the retrieved Documents and the
# answer; add_sequence([retrieve, generate]); invoked, streamed as "updates" and as "messages".
# Changed: the model is scripted; the blog post loaded from the web and split is a few
# Documents held in memory, in _fake's KeywordVectorStore (word overlap; no numpy here for
# InMemoryVectorStore's cosine); the hub prompt "rlm/rag-prompt" is written out as a ChatPromptTemplate.
from langchain_core.documents import Document
from langchain_core.prompts import ChatPromptTemplate
from langgraph.graph import START, StateGraph
from typing_extensions import List, TypedDict

from _fake import KeywordVectorStore as InMemoryVectorStore, chat_model

answer = (
    "Task decomposition breaks a complicated task into smaller, simpler steps, "
    "for example with Chain of Thought."
)
llm = chat_model(answer, answer, answer)

vector_store = InMemoryVectorStore()

all_splits = [
    Document(
        page_content="Task decomposition: Chain of thought prompts the model to think step by step.",
        metadata={"source": "https://lilianweng.github.io/posts/2023-06-23-agent/", "start_index": 0},
    ),
    Document(
        page_content="Tree of Thoughts extends CoT by exploring multiple reasoning possibilities.",
        metadata={"source": "https://lilianweng.github.io/posts/2023-06-23-agent/", "start_index": 80},
    ),
    Document(
        page_content="Self-reflection lets agents improve by refining past action decisions.",
        metadata={"source": "https://lilianweng.github.io/posts/2023-06-23-agent/", "start_index": 160},
    ),
]

# Index chunks
_ = vector_store.add_documents(documents=all_splits)

# Define prompt for question-answering
prompt = ChatPromptTemplate.from_messages(
    [
        (
            "human",
            "You are an assistant for question-answering tasks. Use the following pieces of "
            "retrieved context to answer the question. If you don't know the answer, just say "
            "that you don't know. Use three sentences maximum and keep the answer concise.\n"
            "Question: {question} \nContext: {context} \nAnswer:",
        )
    ]
)


# Define state for application
class State(TypedDict):
    question: str
    context: List[Document]
    answer: str


# Define application steps
def retrieve(state: State):
    retrieved_docs = vector_store.similarity_search(state["question"], k=2)
    return {"context": retrieved_docs}


def generate(state: State):
    docs_content = "\n\n".join(doc.page_content for doc in state["context"])
    messages = prompt.invoke({"question": state["question"], "context": docs_content})
    response = llm.invoke(messages)
    return {"answer": response.content}


# Compile application and test
graph_builder = StateGraph(State).add_sequence([retrieve, generate])
graph_builder.add_edge(START, "retrieve")
graph = graph_builder.compile()

result = graph.invoke({"question": "What is Task Decomposition?"})

print(f"Context: {result['context']}\n\n")
print(f"Answer: {result['answer']}")

for step in graph.stream(
    {"question": "What is Task Decomposition?"}, stream_mode="updates"
):
    print(f"{step}\n\n----------------\n")

for message, metadata in graph.stream(
    {"question": "What is Task Decomposition?"}, stream_mode="messages"
):
    print(message.content, end="|")
print()
