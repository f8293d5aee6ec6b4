def tenant(request):
    membership = getattr(request, "membership", None)
    return {
        "district": getattr(request, "district", None),
        "membership": membership,
        "role": membership.role if membership else None,
    }
