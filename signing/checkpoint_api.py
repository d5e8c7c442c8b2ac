"""The exported ledger checkpoints, for anyone who keeps their own copy of the bureau's statements."""
from drf_spectacular.utils import extend_schema
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from signing import checkpoint_store
from signing.serializers import CheckpointListOut


class CheckpointListApi(APIView):
    authentication_classes: list = []
    permission_classes = [AllowAny]

    @extend_schema(summary="Every signed ledger checkpoint, as exported outside the database",
                   responses={200: CheckpointListOut})
    def get(self, request):
        return Response(CheckpointListOut({"checkpoints": checkpoint_store.exported_checkpoints()}).data)
