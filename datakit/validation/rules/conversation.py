"""C: turn order and content, as finetune.py's preprocess walks the conversation."""

from __future__ import annotations

from datakit.findings import Severity
from datakit.validation.context import RunContext
from datakit.validation.rule import Rule
from datakit.validation.view import Collector, RecordView

_OK = '[{"id": "a", "conversations": [{"from": "user", "value": "hi"}, {"from": "assistant", "value": "hello"}]}]'  # noqa: E501

LEADING_ASSISTANT = Rule(
    "C001", "leading-assistant-turn", Severity.WARNING, "record",
    "The first message is from the assistant.",
    "preprocess() silently drops a leading assistant message: that text is never trained on.",
    "Start with the user's turn, or remove the orphan answer.",
    bad='[{"id": "a", "conversations": [{"from": "assistant", "value": "hi"}, {"from": "user", "value": "q"}, {"from": "assistant", "value": "x"}]}]',  # noqa: E501
    good=_OK,
)
NOT_ALTERNATING = Rule(
    "C002", "roles-not-alternating", Severity.WARNING, "record",
    "Two consecutive messages come from the same role.",
    "The trainer never checks alternation; two user turns in a row usually mean a lost answer, "
    "two assistant turns a lost question, and the chat template the model learns is not the one "
    "it will see at inference.",
    "Merge the two messages or restore the missing turn.",
    bad='[{"id": "a", "conversations": [{"from": "user", "value": "q1"}, {"from": "user", "value": "q2"}, {"from": "assistant", "value": "x"}]}]',  # noqa: E501
    good=_OK,
)
LAST_TURN_USER = Rule(
    "C003", "last-turn-from-user", Severity.WARNING, "record",
    "The conversation ends with a user message.",
    "User turns are not supervised: the last question costs tokens and teaches nothing; a "
    "record with no assistant turn trains on nothing at all.",
    "Add the answer, or drop the trailing question.",
    bad='[{"id": "a", "conversations": [{"from": "user", "value": "q"}, {"from": "assistant", "value": "x"}, {"from": "user", "value": "and?"}]}]',  # noqa: E501
    good=_OK,
)
EMPTY_VALUE = Rule(
    "C004", "empty-value", Severity.WARNING, "record",
    "A message's value is empty or only white space.",
    "An empty assistant answer trains the model to stop at once; an empty question is noise.",
    "Fill in or remove the message (and its pair).",
    bad='[{"id": "a", "conversations": [{"from": "user", "value": "hi"}, {"from": "assistant", "value": "  "}]}]',  # noqa: E501
    good=_OK,
)
IMAGE_IN_ANSWER = Rule(
    "C005", "image-in-assistant-turn", Severity.ERROR, "record",
    "An assistant message contains <img>...</img>.",
    "Assistant tokens are training targets: the path's bytes and 256 image-pad tokens become "
    "what the model is taught to say.",
    "Move the picture into the preceding user message.",
    bad='[{"id": "a", "conversations": [{"from": "user", "value": "draw"}, {"from": "assistant", "value": "Picture 1: <img>img/ok.jpg</img>"}]}]',  # noqa: E501
    good=_OK,
)

RULES = (LEADING_ASSISTANT, NOT_ALTERNATING, LAST_TURN_USER, EMPTY_VALUE, IMAGE_IN_ANSWER)


def check(view: RecordView, emit: Collector, ctx: RunContext) -> None:
    roles = view.roles
    if not roles:
        return
    if roles[0] == "assistant":
        emit(LEADING_ASSISTANT, "first message is from \"assistant\"; the trainer drops it",
             view.path(0, "from"))
    for i in range(1, len(roles)):
        if roles[i] == roles[i - 1] and roles[i] in ("user", "assistant"):
            emit(NOT_ALTERNATING, f"messages {i - 1} and {i} are both from \"{roles[i]}\"",
                 view.path(i, "from"))
    if roles[-1] == "user":
        last = len(roles) - 1
        emit(LAST_TURN_USER, "last message is from \"user\"; it is not trained on",
             view.path(last, "from"))
    for message in view.messages:
        if not message.value.strip():
            emit(EMPTY_VALUE, f"message {message.index} is empty", view.path(message.index))
        if message.role == "assistant" and "<img>" in message.value:
            image = message.parsed.images()
            offset = image[0].start if image else message.value.index("<img>")
            emit(IMAGE_IN_ANSWER, "assistant message contains an image", view.path(message.index),
                 offset)
