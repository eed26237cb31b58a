# From LangGraph docs: how-tos/memory/add-memory.md, "Trim messages" ("In an agent"):
# create_react_agent with a pre_model_hook returning llm_input_messages from trim_messages.
# Changed: the model is scripted; the conversation and prints follow the page's workflow example.
from langchain_core.messages.utils import (
    trim_messages,
    count_tokens_approximately
)
from langgraph.prebuilt import create_react_agent
from langgraph.checkpoint.memory import InMemorySaver

from _fake import chat_model

model = chat_model(
    "Hi Bob!",
    "Cats: soft paws, bright eyes, a purr that fills the room, a nap in the sun all afternoon long.",
    "Dogs: loyal hearts, wagging tails, a bark at the door, muddy paws and endless joy on every walk.",
    "I'm sorry, I don't know your name.",
)
tools = []


# This function will be called every time before the node that calls LLM
def pre_model_hook(state):
    trimmed_messages = trim_messages(
        state["messages"],
        strategy="last",
        token_counter=count_tokens_approximately,
        max_tokens=64,
        start_on="human",
        end_on=("human", "tool"),
    )
    print("model sees:", [m.content for m in trimmed_messages])
    return {"llm_input_messages": trimmed_messages}


checkpointer = InMemorySaver()
agent = create_react_agent(
    model,
    tools,
    pre_model_hook=pre_model_hook,
    checkpointer=checkpointer,
)

config = {"configurable": {"thread_id": "1"}}
agent.invoke({"messages": "hi, my name is bob"}, config)
agent.invoke({"messages": "write a short poem about cats"}, config)
agent.invoke({"messages": "now do the same but for dogs"}, config)
final_response = agent.invoke({"messages": "what's my name?"}, config)
final_response["messages"][-1].pretty_print()
print(len(final_response["messages"]))
